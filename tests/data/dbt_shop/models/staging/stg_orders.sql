with source as (

    select * from {{ source('shop_raw', 'orders') }}

),

renamed as (

    select
        id as order_id,
        user_id as customer_id,
        ordered_on as order_date,
        status,
        amount_cents / 100.0 as amount
    from source

)

select * from renamed
