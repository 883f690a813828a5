"""Per-group summary of Autobahn|Testsuite reports (index.json files).

Usage: summarize.py SERVER_INDEX CLIENT_INDEX [BLOCKING_SERVER_INDEX [CLI_SERVER_INDEX [AXUM_SERVER_INDEX]]]
(markdown on stdout)
Exits with status 1 if any case is neither OK nor INFORMATIONAL.
"""
import collections
import json
import sys

BEHAVIORS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]


def table(path, title):
    index = json.load(open(path))
    agent = next(iter(index.values()))
    groups = collections.OrderedDict()
    failed = []
    informational = []
    for case in sorted(agent, key=lambda c: [int(p) for p in c.split(".")]):
        result = agent[case]
        group = int(case.split(".")[0])
        counts = groups.setdefault(group, collections.Counter())
        # A case counts by the worse of its behavior and its close behavior.
        worst = max(result["behavior"], result["behaviorClose"], key=lambda b: (
            BEHAVIORS.index(b) if b in BEHAVIORS else len(BEHAVIORS)))
        counts[worst] += 1
        if worst == "INFORMATIONAL":
            informational.append(case)
        elif worst != "OK":
            failed.append("%s: %s / %s" % (case, result["behavior"], result["behaviorClose"]))
    lines = ["## %s" % title, "", "| group | cases | " + " | ".join(BEHAVIORS) + " |",
             "|---|---|" + "---|" * len(BEHAVIORS)]
    for group, counts in groups.items():
        lines.append("| %d | %d | %s |" % (group, sum(counts.values()),
                                            " | ".join(str(counts[b]) for b in BEHAVIORS)))
    total = collections.Counter()
    for counts in groups.values():
        total.update(counts)
    lines.append("| all | %d | %s |" % (sum(total.values()), " | ".join(str(total[b]) for b in BEHAVIORS)))
    lines.append("")
    if informational:
        lines.append("Informational only (recorded, not judged): " + ", ".join(informational))
        lines.append("")
    if failed:
        FAILED_ANY.extend(failed)
        lines.append("Not OK: " + "; ".join(failed))
        lines.append("")
    return lines


FAILED_ANY = []

out = ["# Autobahn|Testsuite, groups 1-13 (12 and 13: permessage-deflate)", "",
       "Made by scripts/autobahn.sh (autobahntestsuite 0.8.2 with autobahn 0.10.9, Python 2.7). INFORMATIONAL cases are the ones the suite only records (no pass/fail).", ""]
out += table(sys.argv[1], "Server role, groups 1-10 (fuzzingclient against examples/echo_server.rs, tokio)")
out += table(sys.argv[2], "Client role (fuzzingserver with examples/autobahn_client.rs, blocking)")
if len(sys.argv) > 3:
    out += table(sys.argv[3], "Server role, groups 1-10 (fuzzingclient against examples/echo_server_blocking.rs, blocking)")
if len(sys.argv) > 4:
    out += table(sys.argv[4], "Server role (fuzzingclient against `wirestate serve websocket` as shipped)")
if len(sys.argv) > 5:
    out += table(sys.argv[5], "Server role (fuzzingclient against examples/axum_echo.rs, axum/hyper upgrade)")
print("\n".join(out))
sys.exit(1 if FAILED_ANY else 0)
