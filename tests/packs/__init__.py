"""Rule-pack fixtures: the minimal base pack, the verifier's pack, and the faults made from the base."""
