"""Citizens' bookings: a number from the phone or a visit booked ahead, and what they need
(phone numbers, one-time codes sent by SMS)."""
