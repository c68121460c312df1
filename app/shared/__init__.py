"""Small pieces every part of the application uses: errors, events, text formatting."""
