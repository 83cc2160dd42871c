-- Order headers: a child of customers and (optionally) of promotions.
select
    order_id,
    customer_id,
    promotion_id,
    ordered_at,
    status,
    channel,
    shipping_cost,
    is_gift,
    total_amount
from {{ source('raw', 'orders') }}
