# Dates in the customary Chinese form, as Hong Kong writes them: "2030年7月1日（星期一）",
# "7月1日（星期一）", 24-hour times (see ../en/formats.py for what each is used for).
DATE_FORMAT = "Y年n月j日（l）"  # 2030年7月1日（星期一）
DATETIME_FORMAT = "Y年n月j日（l）H:i"  # 2030年7月1日（星期一）10:00
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n月j日（D）"  # 7月1日（星期一）
SHORT_DATE_FORMAT = "Y年n月j日"  # 2030年7月1日
SHORT_DATETIME_FORMAT = "n月j日（D）H:i"  # 7月1日（星期一）10:00
YEAR_MONTH_FORMAT = "Y年n月"
FIRST_DAY_OF_WEEK = 1
