"""``python -m lfmrec.synthetic``: see :func:`lfmrec.synthetic.generate.main`."""

from .generate import main

main()
