from jiedan_cli.cli import main

main()
