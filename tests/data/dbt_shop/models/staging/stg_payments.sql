{{ config(materialized='view') }}

select
    p.id as payment_id,
    p.order_id,
    p.method as payment_method,
    p.amount_cents
from {{ source('shop_raw', 'payments') }} as p
