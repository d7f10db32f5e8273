"""Sum the results of several `dotnet test` runs into one closing 'N passed, N failed, N skipped' line.

Before that line it repeats each failed test's name and the first lines of its message, so the tail of a
CI log says what failed without a search through the whole output.

Reads both forms the console logger prints: the one-line 'Passed!  - Failed: 0, Passed: 9, Skipped: 1'
and the block after 'Total tests:' ('Passed: 9', 'Failed: 1', 'Skipped: 1') of the normal verbosity.
"""
import re
import sys

totals = {"passed": 0, "failed": 0, "skipped": 0}
failures = []
failed_test = re.compile(r"^\s*Failed\s+(\S+)\s+\[")
one_line = re.compile(r"(?:Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)")
block_line = re.compile(r"^\s*(Passed|Failed|Skipped):\s+(\d+)\s*$")
for path in sys.argv[1:]:
    found = {"passed": 0, "failed": 0, "skipped": 0}
    in_block = False
    with open(path, encoding="utf-8", errors="replace") as log:
        lines = log.readlines()
        for number, line in enumerate(lines):
            failed = failed_test.match(line)
            if failed:
                message = [l.rstrip() for l in lines[number + 1:number + 6] if l.strip()]
                failures.append((failed.group(1), message))
            match = one_line.search(line)
            if match:
                found = {"failed": int(match.group(1)), "passed": int(match.group(2)), "skipped": int(match.group(3))}
                in_block = False
                continue
            if line.strip().startswith("Total tests:"):
                in_block = True
                found = {"passed": 0, "failed": 0, "skipped": 0}
                continue
            if in_block:
                match = block_line.match(line)
                if match:
                    found[match.group(1).lower()] = int(match.group(2))
                elif "Total time" in line:
                    in_block = False
    for key in totals:
        totals[key] += found[key]
for name, message in failures:
    print(f"FAILED {name}")
    for line in message:
        print(f"    {line}")
print(f"{totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
