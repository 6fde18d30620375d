"""json: encode and decode nested values, with sorted keys, indentation and unicode."""

import json

doc = {
    "name": "meridian",
    "version": [0, 1, 0],
    "ratio": 0.1 + 0.2,
    "big": 2**70,
    "neg": -17.25,
    "flags": {"ro": True, "rw": False, "none": None},
    "text": "caf\u00e9 \u2603 \"quoted\" \\ back\tslash\n",
    "empty": {"list": [], "dict": {}},
}

compact = json.dumps(doc, sort_keys=True, separators=(",", ":"))
print(compact)
print(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False))

back = json.loads(compact)
print("roundtrip equal:", back == doc)
print("types:", sorted(f"{k}:{type(v).__name__}" for k, v in back.items()))

stream = "\n".join(json.dumps({"i": i, "sq": i * i}) for i in range(5))
total = sum(json.loads(line)["sq"] for line in stream.splitlines())
print("sum of squares:", total)

try:
    json.loads('{"unterminated": [1, 2')
except json.JSONDecodeError as err:
    print("decode error:", err.msg, "at pos", err.pos)
