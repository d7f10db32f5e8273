"""Sum the closing lines of several `dotnet test` runs into one 'N passed, N failed, N skipped' line."""
import re
import sys

totals = {"passed": 0, "failed": 0, "skipped": 0}
pattern = re.compile(r"(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)")
for path in sys.argv[1:]:
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = pattern.search(line)
            if match:
                totals["failed"] += int(match.group(2))
                totals["passed"] += int(match.group(3))
                totals["skipped"] += int(match.group(4))
print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
