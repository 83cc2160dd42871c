-- One row per customer. Columns and types come from this query.
select
    customer_id,
    email,
    segment,
    age,
    signup_date
from {{ source('raw', 'customers') }}
