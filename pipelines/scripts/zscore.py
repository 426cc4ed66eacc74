#!/usr/bin/env python3
"""A Sluice `exec` stage in Python: reads ticks as JSON lines on stdin and writes, for each, the price's
z-score against that symbol's last N prices as a JSON line on stdout. Diagnostics go to stderr (the
pipeline's log). Standard library only."""
import json
import math
import sys
from collections import defaultdict, deque

WINDOW = int(sys.argv[1]) if len(sys.argv) > 1 else 50

def main():
    sys.stdout.reconfigure(line_buffering=True)
    windows = defaultdict(lambda: deque(maxlen=WINDOW))
    seen = 0
    for line in sys.stdin:
        tick = json.loads(line)
        prices = windows[tick["symbol"]]
        prices.append(tick["price"])
        mean = sum(prices) / len(prices)
        var = sum((p - mean) ** 2 for p in prices) / len(prices)
        z = (tick["price"] - mean) / math.sqrt(var) if var > 0 else 0.0
        print(json.dumps({"symbol": tick["symbol"], "time": tick["time"], "price": tick["price"],
                          "mean": round(mean, 6), "zscore": round(z, 4)}))
        seen += 1
    print(f"zscore.py: scored {seen} ticks (window {WINDOW})", file=sys.stderr)

if __name__ == "__main__":
    main()
