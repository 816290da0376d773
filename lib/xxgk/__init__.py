"""xxgk — 政府信息公开工作年度报告, checked and rendered from one YAML file per body and year."""

__version__ = "0.1.0"
