select
    order_id,
    customer_id,
    amount,
    status,
    ordered_at
from {{ source('raw', 'orders') }}
where amount >= {{ var('min_order_amount', 0) }}
