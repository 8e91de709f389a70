"""Citizens' bookings: a number from the phone or a visit booked ahead, and what they need
(phone numbers, one-time codes sent by SMS).

Keep this file free of imports: :mod:`server.config` imports
:mod:`server.booking.sms_format`, which would otherwise pull the whole package in first.
"""
