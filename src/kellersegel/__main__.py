from kellersegel.cli.main import command

command()
