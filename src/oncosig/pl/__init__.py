"""oncosig.pl"""
