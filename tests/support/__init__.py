"""What the tests share: waiting for what follows a moment later (`waiting`), the demo tree's
codes (`demo`), fresh stores copied from templates (`stores`), ports and commands (`local`)."""
