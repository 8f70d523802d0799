"""Execute untrusted notebook code in a separate, limited process.

The trusted parent (:mod:`grader.sandbox.parent`) talks to the child
(:mod:`grader.sandbox.child`) through a pipe carrying JSON bytes only
(:mod:`grader.sandbox.codec`); nothing from the child is ever unpickled.
"""
