-- The product catalogue; the category drives the price.
select
    product_id,
    sku,
    category,
    unit_price,
    launched_at
from {{ source('raw', 'products') }}
