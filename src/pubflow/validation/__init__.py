"""A validation run, from targets to report: the run itself, the result cache, the
whole-run memo, the spool for big runs, and scoring."""
