"""Print the line coverage of one assembly from the Cobertura files that coverlet wrote."""
import glob
import sys
import xml.etree.ElementTree as ET

results, assembly = sys.argv[1], sys.argv[2]
covered = total = 0
for path in glob.glob(f"{results}/**/coverage.cobertura.xml", recursive=True):
    for package in ET.parse(path).getroot().iter("package"):
        if package.get("name") != assembly:
            continue
        lines = {}
        for cls in package.iter("class"):
            for line in cls.iter("line"):
                key = (cls.get("filename"), line.get("number"))
                lines[key] = lines.get(key, False) or int(line.get("hits", "0")) > 0
        covered = max(covered, sum(lines.values()))
        total = max(total, len(lines))
if total == 0:
    print(f"coverage: no data for {assembly}")
else:
    print(f"coverage: {assembly} {covered}/{total} lines = {100.0 * covered / total:.1f}%")
