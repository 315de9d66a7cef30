"""The policy assistant: answers questions about health-policy documents with citations.

Importing the package makes the process offline first (:mod:`assistant.offline`).
"""

from assistant.offline import go_offline

go_offline()
