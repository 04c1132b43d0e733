"""``python -m losslens.demo``: run the end-to-end demo."""
import sys

from ._cli import demo_main

sys.exit(demo_main())
