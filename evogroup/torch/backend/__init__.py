"""The lifecycle every weight-sharing backend shares (:class:`WeightSharingBackend`) and
the fvcore FLOP tables of its search space: the top of the torch floor, where the
sub-packages below meet.
"""
