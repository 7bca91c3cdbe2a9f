"""The Admin API's nouns as data: the operations table, what each noun's items look like, how
names resolve, memberships given and taken, and the machine formats.

``operations`` and ``nouns`` are plain data (the command line reads them to build its help);
``admin``, ``names`` and ``links`` send requests; ``formats`` writes items.
"""
