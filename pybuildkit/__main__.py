import sys

from pybuildkit.cli import main

sys.exit(main())
