import sys

from kellersegel.cli.main import main

sys.exit(main())
