import sys
from pathlib import Path

# the fake API is a module of the tests folder
sys.path.insert(0, str(Path(__file__).parent))
