"""The verification of one assessment period as plain functions over the warehouse: which units are
assessed (units), citations checked (citations), rows read and stored (store), and the steps in
their one order (steps)."""
