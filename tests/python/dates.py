"""datetime, time and calendar with fixed dates only (never the current time)."""

import calendar
import datetime as dt
import time

epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
moment = dt.datetime(2024, 2, 29, 13, 45, 30, 123456, tzinfo=dt.timezone.utc)

print(moment.isoformat())
print(moment.strftime("%Y-%m-%d %H:%M:%S %A %j %U %z"))
print("timestamp:", moment.timestamp())
print("since epoch:", moment - epoch)
print("plus 400 days:", (moment + dt.timedelta(days=400)).date())
print("weekday:", moment.weekday(), moment.isocalendar())
print("fromisoformat:", dt.datetime.fromisoformat("2001-02-03T04:05:06+05:30").astimezone(dt.timezone.utc))
print("fromtimestamp utc:", dt.datetime.fromtimestamp(1_000_000_000, tz=dt.timezone.utc))
print("strptime:", dt.datetime.strptime("03/Feb/2001:04:05:06", "%d/%b/%Y:%H:%M:%S"))
print("gmtime:", time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_234_567_890)))
print("timegm:", calendar.timegm((2038, 1, 19, 3, 14, 8, 0, 0, 0)))
print("leap years 1900-2100:", calendar.leapdays(1900, 2100))
print(calendar.month(2024, 2))

# zoneinfo reads /usr/share/zoneinfo, which the sandbox sees through its read-only /usr.
try:
    from zoneinfo import ZoneInfo

    paris = moment.astimezone(ZoneInfo("Europe/Paris"))
    print("paris:", paris.isoformat(), paris.tzname())
    summer = dt.datetime(2024, 7, 1, 12, tzinfo=dt.timezone.utc).astimezone(ZoneInfo("Europe/Paris"))
    print("paris summer:", summer.isoformat(), summer.tzname())
except Exception as err:  # no tzdata on this host: same answer natively and sandboxed
    print("zoneinfo unavailable:", type(err).__name__)
