from lbpy._cli import main

main()
