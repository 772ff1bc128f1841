import sys

from reliability.runner import main

sys.exit(main(sys.argv[1:]))
