"""Scoring a scene: moods on a timeline (issue 23). ``plan``: the plan format and its
checks; ``timeline``: tempi fitted so regions meet on bar lines at their exact seconds;
``check``: a plan against the mood library, and the report of `score --check`;
``conductor``: the piece's tempo map, meters, keys and markers as stream events."""
