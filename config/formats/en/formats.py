# Dates as the office writes them in English (Django's date syntax): "Monday 1 July 2030",
# "Mon 1 Jul", 24-hour times. Templates and scheduling.facts name these formats, so that the
# same page reads in the Chinese form in zh_Hant (../zh_Hant/formats.py).
DATE_FORMAT = "l j F Y"  # Monday 1 July 2030
DATETIME_FORMAT = "l j F Y, H:i"  # Monday 1 July 2030, 10:00
TIME_FORMAT = "H:i"  # 10:00
MONTH_DAY_FORMAT = "D j M"  # Mon 1 Jul
SHORT_DATE_FORMAT = "j M Y"  # 1 Jul 2030
SHORT_DATETIME_FORMAT = "D j M, H:i"  # Mon 1 Jul, 10:00
YEAR_MONTH_FORMAT = "F Y"  # July 2030
FIRST_DAY_OF_WEEK = 1  # Monday
