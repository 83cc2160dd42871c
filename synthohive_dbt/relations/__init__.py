"""What training learns about a table's relations and generation applies.

The shared layer below :mod:`synthohive_dbt.training` (which fits these models) and
:mod:`synthohive_dbt.generate` (which draws from them), so neither imports the other
for them: children per parent (:mod:`.linkage`, binned by :mod:`.binning`), secondary
parents (:mod:`.secondary`), key shapes (:mod:`.keys`), hierarchies (:mod:`.hierarchy`),
fixed columns (:mod:`.fixed`), the declared row rules (:mod:`.constraints`), casting to a
table's declared schema (:mod:`.frames`) and the stored rows of copy tables
(:mod:`.copying`).
"""
