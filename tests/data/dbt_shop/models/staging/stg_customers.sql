select
    id as customer_id,
    first_name,
    last_name,
    signed_up_on,
    tier as customer_tier
from {{ source('shop_raw', 'customers') }}
