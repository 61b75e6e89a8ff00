"""Developer tools that drive the product from outside: the screenshot tool (``python -m
pharos_desktop.tools.screenshots DIR``) and the fakes it and the tests run against (a fake Pharos cloud,
an in-memory keyring). They sit above both front ends; neither the window nor the command line imports them."""
