from wire.cli import main

main()
