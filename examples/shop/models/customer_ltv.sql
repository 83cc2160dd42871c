{{ config(materialized='derived') }}
-- Computed by SQL from the synthetic customers and orders, never learned:
-- lifetime value over the orders that were not cancelled or returned.
select
    c.customer_id,
    c.segment,
    count(o.order_id) as order_count,
    coalesce(sum(o.total_amount), 0) as lifetime_value,
    min(o.ordered_at) as first_order_at,
    max(o.ordered_at) as last_order_at,
    coalesce(sum(o.total_amount), 0) >= {{ var('high_value_threshold') }} as is_high_value
from {{ ref('customers') }} as c
left join {{ ref('orders') }} as o
    on o.customer_id = c.customer_id
    and o.status not in ('cancelled', 'returned')
group by c.customer_id, c.segment
