"""How the work runs: progress reporting, threads, a forked helper process, and handing freed memory back."""
