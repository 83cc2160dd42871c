with payments as (
    select order_id, sum(amount_cents) / 100.0 as paid
    from {{ ref('stg_payments') }}
    group by order_id
)

select
    o.order_id,
    o.customer_id,
    o.order_date,
    o.status,
    o.amount,
    payments.paid
from {{ ref('stg_orders') }} as o
left join payments on payments.order_id = o.order_id
