-- One row per customer account. Email and name are PII: faked before training.
select
    customer_id,
    email,
    full_name,
    segment,
    country,
    age,
    signup_date,
    is_active,
    credit_limit
from {{ source('raw', 'customers') }}
