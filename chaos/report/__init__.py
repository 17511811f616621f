"""Reports: report.json (``json_report``), the terminal verdict table (``table``), versions."""
