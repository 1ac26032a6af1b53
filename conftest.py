"""Make the library (workflow/lfmrec) and the workflow scripts importable from the tests."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
for p in (ROOT / "workflow", ROOT / "workflow" / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
