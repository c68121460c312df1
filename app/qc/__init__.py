"""QC verdicts: profiles of rules on scores, the verdict of a run, and its problem moments."""
