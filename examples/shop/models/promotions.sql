-- A small reference table: copied as it is (synth.mode: copy), not learned.
select
    promotion_id,
    code,
    discount_pct
from {{ source('raw', 'promotions') }}
