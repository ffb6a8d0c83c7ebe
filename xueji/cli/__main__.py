"""`python -m xueji.cli`: the `xueji` command, as `xueji dev` starts the API."""

from xueji.cli import main

main()
