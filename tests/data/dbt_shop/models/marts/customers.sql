with customers as (
    select * from {{ ref('stg_customers') }}
),

orders as (
    select
        customer_id,
        count(*) as number_of_orders,
        sum(amount) as lifetime_value
    from {{ ref('stg_orders') }}
    group by customer_id
)

select
    customers.customer_id,
    customers.first_name,
    customers.customer_tier,
    coalesce(orders.number_of_orders, 0) as number_of_orders,
    orders.lifetime_value
from customers
left join orders on orders.customer_id = customers.customer_id
