"""Pin the thebe version that sphinx-thebe 0.3.1 loads.

sphinx-thebe 0.3.1 hard-codes thebe 0.8.2, which can no longer be installed; thebe 0.9.3 works with
this book once `_static/mlmap-thebe.js` adapts sphinx-thebe's activation script to it. The browser
test (tests/test_live_code.py) checks this version against the page.
"""

import sphinx_thebe

THEBE_VERSION = "0.9.3"


def setup(app):
    # sphinx-thebe reads this module global when it writes THEBE_JS_URL into each page
    sphinx_thebe.THEBE_VERSION = THEBE_VERSION
    return {"parallel_read_safe": True, "parallel_write_safe": True}
